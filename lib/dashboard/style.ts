/** The dashboard's CSS. */
export const DASHBOARD_CSS = `
:root { color-scheme: light dark; --accent: #2563eb; --muted: #6b7280; --ok: #15803d; --bad: #b91c1c; font-family: system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem 3rem; line-height: 1.4; }
header { display: flex; align-items: baseline; gap: 1rem; }
h1 { margin: .5rem 0; font-size: 1.5rem; } h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
header p { color: var(--muted); margin: 0; }
#key-status { margin-left: auto; } #key-card { max-width: 36rem; margin: 1rem 0; }
code { font-family: ui-monospace, monospace; font-size: .9em; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; margin: 1rem 0; }
section.card { border: 1px solid #d1d5db; border-radius: .5rem; padding: 1rem; }
form { display: grid; gap: .5rem; }
label { font-weight: 600; font-size: .9rem; }
input, select, button { font: inherit; padding: .35rem .5rem; }
button { background: var(--accent); color: white; border: 0; border-radius: .3rem; cursor: pointer; }
button.link { background: none; color: var(--accent); padding: 0; text-decoration: underline; font-family: ui-monospace, monospace; }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.filters { display: flex; gap: 1rem; align-items: end; flex-wrap: wrap; margin-bottom: .5rem; }
.filters div { display: grid; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; }
th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #e5e7eb; }
progress { width: 8rem; }
.status-succeeded { color: var(--ok); font-weight: 600; } .status-failed, .status-cancelled { color: var(--bad); font-weight: 600; }
#detail dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .5rem; }
#detail dt { color: var(--muted); } #detail dd { margin: 0; }
.renditions { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end; }
.renditions figure { margin: 0; text-align: center; font-size: .8rem; }
.renditions img { max-width: 120px; max-height: 120px; display: block; border: 1px solid #d1d5db; }
.error { color: var(--bad); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;
