/** One part of a multipart upload, in the order it arrived: what services see of an upload, without HTTP. */
export type UploadPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; name: string; filename: string; stream: AsyncIterable<Uint8Array> };
