/** The upload key scheme and limits: pure, no I/O. */
import { describe, expect, it } from "vitest";
import { isAcceptedImageType, isUploadKey, safeFileName, uploadKey } from "../../lib/domain/uploads.ts";

describe("safeFileName", () => {
  it.each([
    ["IMG_0001.JPG", "IMG_0001.JPG"],
    ["my holiday photo (1).jpg", "my-holiday-photo-1-.jpg"],
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\me\\Pictures\\cat.png", "cat.png"],
    ["crème brûlée.webp", "creme-brulee.webp"],
    [".hidden.gif", "hidden.gif"],
  ])("makes %j safe as %j", (filename, expected) => {
    expect(safeFileName(filename, "image/jpeg")).toBe(expected);
  });

  it("falls back to image.<ext> of the content type when no usable name is given", () => {
    expect(safeFileName(undefined, "image/png")).toBe("image.png");
    expect(safeFileName("日本語", "image/webp")).toBe("image.webp");
    expect(safeFileName("...", "image/jpeg")).toBe("image.jpg");
  });

  it("keeps at most 100 characters, from the end (where the extension is)", () => {
    expect(safeFileName(`${"a".repeat(300)}.jpg`, "image/jpeg")).toHaveLength(100);
    expect(safeFileName(`${"a".repeat(300)}.jpg`, "image/jpeg").endsWith(".jpg")).toBe(true);
  });
});

describe("upload keys", () => {
  it("puts every upload under uploads/<tenant>/<id>/", () => {
    const key = uploadKey("acme", "01J0ABC", "a b.png", "image/png");

    expect(key).toBe("uploads/acme/01J0ABC/a-b.png");
    expect(isUploadKey(key)).toBe(true);
  });

  it.each(["results/01J/large.jpg", "uploads/", "uploads/../results/x", "uploads/./x", "x/uploads/a.jpg", "uploads/a\u0000b"])(
    "does not take %j for an upload key",
    (key) => {
      expect(isUploadKey(key)).toBe(false);
    },
  );
});

describe("isAcceptedImageType", () => {
  it("accepts the image types, ignoring case and parameters", () => {
    for (const type of ["image/jpeg", "IMAGE/PNG", "image/webp; charset=binary", "image/gif", "image/avif", "image/tiff", "image/heic", "image/heif"]) {
      expect(isAcceptedImageType(type), type).toBe(true);
    }
  });

  it("refuses anything else", () => {
    for (const type of ["text/plain", "image/svg+xml", "application/pdf", "application/octet-stream", "", undefined]) {
      expect(isAcceptedImageType(type), String(type)).toBe(false);
    }
  });
});
