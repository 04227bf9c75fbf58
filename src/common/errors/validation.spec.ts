import { IsOptional, IsString } from 'class-validator';
import { AppException } from './app.exception';
import { createValidationPipe } from './validation';

class NoteDto {
  @IsOptional() @IsString() text?: string;
}

function deep(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('createValidationPipe', () => {
  const pipe = createValidationPipe();
  const rejection = async (value: unknown, type: 'body' | 'param' | 'query', data?: string) => {
    try {
      await pipe.transform(value, { type, metatype: data ? String : NoteDto, data });
    } catch (error) {
      return error instanceof AppException ? { status: error.status, code: error.code, fields: error.errors?.map((e) => e.field) } : error;
    }
    return undefined;
  };

  it('refuses a NUL character in a body field, a query value or a plain path parameter', async () => {
    expect(await rejection({ text: 'a\u0000b' }, 'body')).toEqual({ status: 400, code: 'validation_failed', fields: ['text'] });
    expect(await rejection({ text: '\u0000' }, 'query')).toEqual({ status: 400, code: 'validation_failed', fields: ['text'] });
    expect(await rejection('abc\u0000def', 'param', 'username')).toEqual({ status: 400, code: 'validation_failed', fields: ['username'] });
  });

  it('refuses a lone surrogate', async () => {
    expect(await rejection({ text: 'a\ud800b' }, 'body')).toEqual({ status: 400, code: 'validation_failed', fields: ['text'] });
  });

  it('refuses nesting deeper than 32 levels before anything walks it recursively', async () => {
    expect(await rejection({ text: deep(5000) }, 'body')).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('lets ordinary text through, emoji and paired surrogates included', async () => {
    await expect(pipe.transform({ text: 'héllo 😀 👩‍👩‍👧‍👦' }, { type: 'body', metatype: NoteDto })).resolves.toEqual({ text: 'héllo 😀 👩‍👩‍👧‍👦' });
  });
});
