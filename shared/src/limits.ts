/** Input limits shared by the server (enforced) and clients (to pre-validate). */
export const limits = {
  /** Longest user message, in characters. */
  messageChars: 100_000,
  /** Longest session title, in characters. */
  titleChars: 200,
  /** Largest session metadata object, serialized as JSON, in bytes. */
  metadataBytes: 16 * 1024,
  /** Most keys in a metadata object. */
  metadataKeys: 64,
  /** Largest page a list or history call may ask for. */
  pageSize: 200,
  /** Page size when the caller does not say. */
  defaultPageSize: 50,
  /** Deepest nesting of objects and arrays in a request's input (the input object itself is level 1). */
  inputDepth: 32,
  /** Largest HTTP request body the server reads, in bytes. */
  httpBodyBytes: 1024 * 1024,
  /** Most fallback models a request or an agent may name. */
  fallbackModels: 4,
} as const;
