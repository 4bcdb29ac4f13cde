import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { UploadPart } from '../platform/upload-part.js';
import { tooLarge } from '../platform/errors.js';

/** Adapts @fastify/multipart's part iterator to the services' transport-free parts, in arrival order. */
export async function* uploadParts(request: FastifyRequest): AsyncGenerator<UploadPart> {
  for await (const part of request.parts() as AsyncIterable<MultipartFile | MultipartValue<unknown>>) {
    if (part.type === 'file') {
      yield { kind: 'file', name: part.fieldname, filename: part.filename, stream: part.file };
    } else {
      if (part.valueTruncated) throw tooLarge(`${part.fieldname}: the field is larger than the multipart field limit`, { field: part.fieldname });
      // A field sent with Content-Type application/json arrives already parsed: hand the service the text.
      yield { kind: 'field', name: part.fieldname, value: typeof part.value === 'string' ? part.value : JSON.stringify(part.value) };
    }
  }
}
