// The API as an app sees it: a device token, JSON in and out, one error shape
// ({"code", "message", "fields"}). A request that never got an answer is a NetworkError, so the
// screens can say "the connection was lost" instead of showing a server message.

export const config = JSON.parse(document.getElementById("m-config").textContent);

const TOKEN_KEY = "m.token";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || String(status));
    this.status = status;
    this.code = (body && body.code) || "";
    this.fields = (body && body.fields) || {};
  }
}

export class NetworkError extends Error {}

export function hasToken() {
  return Boolean(localStorage.getItem(TOKEN_KEY));
}

export function setToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  localStorage.removeItem(TOKEN_KEY);
}

// Version 4 UUID for idempotency keys. crypto.randomUUID exists only on https/localhost pages.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function api(method, path, { json, form, query } = {}) {
  let url = config.api + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
    if ([...params].length) url += "?" + params;
  }
  const headers = { Accept: "application/json" };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = "Bearer " + token;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  let data = null;
  try {
    // No cookies: the token is the only credential, as in an app (and no CSRF dance).
    response = await fetch(url, { method, headers, body, credentials: "omit", cache: "no-store" });
    if (response.status !== 204) {
      const text = await response.text();
      data = text ? JSON.parse(text) : null;
    }
  } catch (err) {
    if (response && response.status >= 500) throw new ApiError(response.status, null);
    if (err instanceof SyntaxError) throw new ApiError(response ? response.status : 0, null);
    throw new NetworkError(String(err));
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
