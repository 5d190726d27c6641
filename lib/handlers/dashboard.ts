export function createDashboardHandler() { return async () => ({ statusCode: 200, body: "" }); }
