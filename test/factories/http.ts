import type { Response } from 'supertest';

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** An RFC 9457 answer with this status and stable `code`; never a stack trace. Message text is not asserted. */
export function expectProblem(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, title: expect.any(String), type: expect.any(String), detail: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+|select .+ from|insert into/i);
}

/** The problem body without what differs between any two answers (the request id). */
export function problemShape(res: Response): Record<string, unknown> {
  const { request_id: _requestId, ...rest } = res.body as Record<string, unknown>;
  return rest;
}
