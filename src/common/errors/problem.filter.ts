import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { DriverException, ConnectionException, LockWaitTimeoutException } from '@mikro-orm/core';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException, FieldError } from './app.exception';
import { codeForStatus, ErrorCode } from './error-code';
import { buildProblem, Problem, PROBLEM_CONTENT_TYPE } from './problem';
import { redactUrl } from '../logging/logger';

interface Resolved {
  status: number;
  code: ErrorCode;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Unexpected: logged with its stack, answered without it. */
  unexpected?: boolean;
}

/** Fastify's own errors (body parsing, limits) carry a statusCode and an FST_ code. */
function isFastifyError(e: unknown): e is { statusCode: number; code?: string; message: string } {
  return typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number';
}

const FASTIFY_DETAILS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty but Content-Type is application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'The request is not multipart',
  FST_REQ_FILE_TOO_LARGE: 'The file is too large',
};

export function resolveError(exception: unknown): Resolved {
  if (exception instanceof AppException) {
    return {
      status: exception.status,
      code: exception.code,
      detail: exception.detail ?? exception.code,
      errors: exception.errors,
      headers: exception.headers,
    };
  }
  if (exception instanceof ThrottlerException) {
    return { status: 429, code: ErrorCode.RateLimited, detail: 'Too many requests; retry later' };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    const detail = Array.isArray(message) ? message.join('; ') : String(message ?? exception.message);
    return { status, code: codeForStatus(status), detail, unexpected: status >= 500 };
  }
  if (exception instanceof ConnectionException || exception instanceof LockWaitTimeoutException || isDatabaseUnavailable(exception)) {
    return { status: 503, code: ErrorCode.ServiceUnavailable, detail: 'The database is unavailable; retry later', unexpected: true };
  }
  if (isStatementTimeout(exception)) {
    return { status: 503, code: ErrorCode.ServiceUnavailable, detail: 'The database did not answer in time; retry later', unexpected: true };
  }
  if (exception instanceof DriverException) {
    return { status: 500, code: ErrorCode.Internal, detail: 'Internal error', unexpected: true };
  }
  if (isFastifyError(exception) && exception.statusCode >= 400 && exception.statusCode < 500) {
    const status = exception.statusCode;
    const detail = (exception.code && FASTIFY_DETAILS[exception.code]) || 'The request could not be read';
    return { status, code: codeForStatus(status), detail };
  }
  if (isUnreadableMultipart(exception)) {
    return { status: 400, code: ErrorCode.ValidationFailed, detail: 'The multipart body could not be read' };
  }
  if (isRedisDown(exception)) {
    return { status: 503, code: ErrorCode.ServiceUnavailable, detail: 'A backing service is unavailable; retry later', unexpected: true };
  }
  return { status: 500, code: ErrorCode.Internal, detail: 'Internal error', unexpected: true };
}

/**
 * MikroORM's PostgreSQL converter turns a lost connection into a plain `DriverException` (it never makes a
 * `ConnectionException`): SQLSTATE class 08, `57P01`-`57P03` (terminated by an admin, a crash or a restart), `53300`
 * (too many connections); or no SQLSTATE at all when the socket died under the query (then, for a COMMIT, not even a
 * DriverException, but the driver's own Error). A pool that had no connection to give in time (knex's acquire
 * timeout) is the same outage seen from this side, and so is knex's "Transaction query already complete" for the next
 * statement of a transaction whose connection died between two statements (our transactions never query after their
 * commit). All of them pass: 503, retry later.
 */
const PG_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const CONNECTION_LOST = /Connection terminated|connection error and is not queryable|Timeout acquiring a connection|Transaction query already complete/;
const NETWORK_ERROR = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/;

function isDatabaseUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && PG_UNAVAILABLE.test(code)) return true;
  // Not only DriverExceptions: MikroORM passes a failed COMMIT on as the driver's plain Error.
  return CONNECTION_LOST.test(e.message) || (e instanceof DriverException && NETWORK_ERROR.test(e.message));
}

/**
 * `57014`: the statement ran past `statement_timeout` (or was cancelled). On an overloaded database that is the
 * database not answering in time, like a pool with no connection to give: 503, retry later. Still logged as unexpected,
 * so a query that is slow by itself shows up too.
 */
function isStatementTimeout(e: unknown): boolean {
  return e instanceof Error && (e as { code?: unknown }).code === '57014';
}

/** Busboy (under @fastify/multipart) throws plain errors, without a status, on a multipart body it cannot parse. */
function isUnreadableMultipart(e: unknown): boolean {
  const message = e instanceof Error ? e.message : '';
  return /^Multipart: Boundary not found$|unexpected end of multipart data$/i.test(message);
}

function isRedisDown(e: unknown): boolean {
  const message = e instanceof Error ? e.message : '';
  return /Connection is closed|Stream isn't writeable|ECONNREFUSED|MaxRetriesPerRequestError|Reached the max retries/.test(message);
}

export function problemFor(exception: unknown, requestId?: string): { problem: Problem; resolved: Resolved } {
  const resolved = resolveError(exception);
  const problem = buildProblem(resolved.status, resolved.code, resolved.detail, resolved.errors);
  if (requestId) problem.request_id = requestId;
  return { problem, resolved };
}

const logger = new Logger('HTTP');

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request line or headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive'],
};

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any route or hook runs (headers over the
 * size limit, a malformed request line, a request that never finishes) is answered as a problem too, on the raw
 * socket, which is closed afterwards (Fastify's default answers plain JSON).
 */
export function sendClientErrorProblem(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'The request could not be read'];
  const body = JSON.stringify(buildProblem(status, codeForStatus(status), detail));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function sendProblem(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { problem, resolved } = problemFor(exception, String(request.id));
  if (resolved.unexpected) {
    logger.error({ err: exception, reqId: request.id, method: request.method, url: redactUrl(request.url) }, 'request failed');
  }
  if (reply.sent) return;
  for (const [name, value] of Object.entries(resolved.headers ?? {})) reply.header(name, value);
  void reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** Every error leaving a Nest handler becomes problem+json; nothing answers a stack trace. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
