/** Shared JSON schemas for routes: they validate requests and document the API (OpenAPI at /docs). */
import { Type, type TSchema } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. MODEL_NOT_FOUND' }),
      message: Type.String({ description: 'What went wrong, naming the field when a field is at fault' }),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
    requestId: Type.String(),
  },
  { description: 'Every error has this shape' },
);

export const Tags = Type.Record(Type.String(), Type.String(), { description: 'String tags: key → value' });
export const TagChanges = Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
  description: 'Tags to set (string) or remove (null); tags not named are left as they are',
});

export const Name = Type.String({ minLength: 1, maxLength: 128, description: "Letters, digits, '-', '_' and '.', starting with a letter or digit" });

export const ProjectQuery = Type.Object({
  project: Type.Optional(Type.String({ description: "Project name; 'default' when omitted" })),
});

/** Standard error responses for a route, added to its own success responses. */
export function withErrors<T extends Record<number, TSchema>>(responses: T, ...statuses: number[]): T & Record<number, TSchema> {
  const out: Record<number, TSchema> = { ...responses };
  for (const s of [401, ...statuses]) out[s] = ErrorResponse;
  return out as T & Record<number, TSchema>;
}

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
  });

export const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100, at most 1000)' }));
export const Cursor = Type.Optional(Type.String({ maxLength: 2000, description: 'nextCursor from the previous page' }));
