// Defaults of string extraction shared by the CLI, the app and core (no Node imports: the renderer reads it).

/** the shortest run reported unless asked otherwise, in the CLI and the app alike (GNU strings' default) */
export const DEFAULT_MIN_LENGTH = 4;
