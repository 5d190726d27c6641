/** Rendition planning and the thumbnail input schema: pure, no I/O. */
import { describe, expect, it } from "vitest";
import { orientedSize, planRenditions, renditionKey } from "../../lib/task-types/thumbnail/plan.ts";
import { DEFAULT_RENDITIONS, thumbnailInput, type RenditionSpec } from "../../lib/task-types/thumbnail/schema.ts";

const square = (name: string, edge: number): RenditionSpec => ({ name, fit: "cover", width: edge, height: edge });
const longEdge = (name: string, edge: number): RenditionSpec => ({ name, fit: "inside", width: edge, height: edge });

describe("planRenditions", () => {
  it("plans the gallery defaults for a 12 MP landscape photo, decoding only to the largest rendition", () => {
    const plan = planRenditions({ width: 4000, height: 3000 }, DEFAULT_RENDITIONS);

    expect(plan.master).toEqual({ width: 1600, height: 1200 });
    expect(plan.renditions.map(({ name, width, height }) => [name, width, height])).toEqual([
      ["large", 1600, 1200],
      ["medium", 800, 600],
      ["small", 400, 300],
      ["thumb", 150, 150],
    ]);
  });

  it("fits the long edge of a portrait image", () => {
    const plan = planRenditions({ width: 3000, height: 4500 }, [longEdge("large", 1600)]);

    expect(plan.renditions[0]).toMatchObject({ width: 1067, height: 1600 });
  });

  it("never scales up: an image smaller than every rendition keeps its size, and the square is a centre crop", () => {
    const plan = planRenditions({ width: 64, height: 40 }, DEFAULT_RENDITIONS);

    expect(plan.master).toEqual({ width: 64, height: 40 });
    expect(plan.renditions.map(({ width, height }) => [width, height])).toEqual([
      [64, 40],
      [64, 40],
      [64, 40],
      [40, 40],
    ]);
  });

  it("crops without scaling when the image is larger than the square on one edge only", () => {
    const plan = planRenditions({ width: 1000, height: 120 }, [square("thumb", 150)]);

    expect(plan.renditions[0]).toMatchObject({ width: 120, height: 120 });
    expect(plan.master).toEqual({ width: 1000, height: 120 });
  });

  it("gives the master enough pixels for a cover crop of a very wide image", () => {
    const plan = planRenditions({ width: 6000, height: 1000 }, [longEdge("large", 1600), square("thumb", 400)]);

    // The 400x400 square needs 400 px of height: more than the 1600 px fit (267 px high) provides.
    expect(plan.master).toEqual({ width: 2400, height: 400 });
    expect(plan.renditions.map(({ width, height }) => [width, height])).toEqual([
      [1600, 267],
      [400, 400],
    ]);
  });

  it("keeps extreme aspect ratios at least one pixel thick", () => {
    const plan = planRenditions({ width: 10_000, height: 2 }, [longEdge("small", 400)]);

    expect(plan.renditions[0]).toMatchObject({ width: 400, height: 1 });
  });

  it("plans non-square cover boxes with the box's aspect ratio", () => {
    const plan = planRenditions({ width: 1200, height: 1200 }, [{ name: "banner", fit: "cover", width: 600, height: 200 }]);

    expect(plan.renditions[0]).toMatchObject({ width: 600, height: 200 });
    expect(plan.master).toEqual({ width: 600, height: 600 });
  });

  it("rejects an impossible source size", () => {
    expect(() => planRenditions({ width: 0, height: 10 }, DEFAULT_RENDITIONS)).toThrow(RangeError);
  });
});

describe("orientedSize", () => {
  it("swaps width and height for EXIF orientations 5 to 8 only", () => {
    expect(orientedSize({ width: 600, height: 400 }, 6)).toEqual({ width: 400, height: 600 });
    expect(orientedSize({ width: 600, height: 400 }, 8)).toEqual({ width: 400, height: 600 });
    expect(orientedSize({ width: 600, height: 400 }, 3)).toEqual({ width: 600, height: 400 });
    expect(orientedSize({ width: 600, height: 400 }, undefined)).toEqual({ width: 600, height: 400 });
  });
});

describe("renditionKey", () => {
  it("derives the key from the tenant, the task id, the rendition name and the format", () => {
    const task = { tenant: "acme", taskId: "01J0000000000000000000TASK" };
    expect(renditionKey(task, "thumb", "webp")).toBe("results/acme/01J0000000000000000000TASK/thumb.webp");
    expect(renditionKey(task, "large", "jpeg")).toBe("results/acme/01J0000000000000000000TASK/large.jpg");
  });
});

describe("thumbnail input schema", () => {
  it("fills in the defaults: four renditions, JPEG at quality 82", () => {
    const input = thumbnailInput.parse({ source: "uploads/01J/photo.jpg" });

    expect(input).toEqual({ source: "uploads/01J/photo.jpg", renditions: DEFAULT_RENDITIONS, format: "jpeg", quality: 82 });
  });

  it("uses each format's own default quality, and accepts its own output again (it is parsed twice)", () => {
    const input = thumbnailInput.parse({ source: "uploads/a/b.png", format: "avif" });

    expect(input.quality).toBe(55);
    expect(thumbnailInput.parse(input)).toEqual(input);
  });

  it.each([
    ["a key outside uploads/", { source: "results/01J/large.jpg" }],
    ["a path escaping uploads/", { source: "uploads/../results/x.jpg" }],
    ["the bare prefix", { source: "uploads/" }],
    ["an unknown format", { source: "uploads/a.jpg", format: "png" }],
    ["a quality below 30", { source: "uploads/a.jpg", quality: 5 }],
    ["a quality above 100", { source: "uploads/a.jpg", quality: 101 }],
    ["duplicate rendition names", { source: "uploads/a.jpg", renditions: [longEdge("a", 10), longEdge("a", 20)] }],
    ["a rendition name with a slash", { source: "uploads/a.jpg", renditions: [longEdge("../x", 10)] }],
    ["a rendition larger than 4096 px", { source: "uploads/a.jpg", renditions: [longEdge("huge", 5000)] }],
    ["no renditions", { source: "uploads/a.jpg", renditions: [] }],
    ["an unknown field", { source: "uploads/a.jpg", width: 100 }],
  ])("refuses %s", (_, input) => {
    expect(thumbnailInput.safeParse(input).success).toBe(false);
  });
});
