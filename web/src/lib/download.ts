/** Downloads with the bearer token: a plain link would carry no token and get a 401. */
import { rawFetch } from '../api/client';

/** The file name of a content-disposition header, or the fallback. */
export function filenameOf(res: Response, fallback: string): string {
  const cd = res.headers.get('content-disposition') ?? '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return m?.[1] ? decodeURIComponent(m[1]) : fallback;
}

/** Fetches `url` with the token and hands the answer to the browser as a file. */
export async function downloadFile(url: string, fallbackName: string, accept = '*/*'): Promise<string> {
  const res = await rawFetch('GET', url, { headers: { accept } });
  const blob = await res.blob();
  const name = filenameOf(res, fallbackName);
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}
