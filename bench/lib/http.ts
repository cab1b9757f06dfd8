/** The little HTTP the scenarios do besides load: JSON in, JSON out. */

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** GET `url` and its body as `T` (unchecked: the bench reads its own server's answers). */
export async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** POST a JSON body. */
export function postJson(url: string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: JSON_HEADERS, body });
}
