// The tool version written into exports and reports; kept equal to package.json by a test.
export const VERSION = '0.1.0';
export const TOOL_NAME = 'unfold';
