/** True when the run is CI's (CI=true or 1): nothing may skip for a missing tool (ci.js). */
export function inCI(): boolean;
