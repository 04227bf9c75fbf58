import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { ToDateFromIso } from '../http/iso-date-time';
import { AppException } from './app.exception';
import { createValidationPipe } from './validation';

class NoteDto {
  @IsOptional() @IsString() text?: string;
}

class AuthorDto {
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() nickname?: string | null;
}

class BookDto {
  @ApiPropertyOptional() @IsOptional() @IsString() title?: string;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() subtitle?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() pages?: number;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @ToDateFromIso() @IsDate() published_at?: Date;
  @ApiPropertyOptional({ type: () => AuthorDto }) @IsOptional() @ValidateNested() @Type(() => AuthorDto) author?: AuthorDto;
  @ApiProperty({ type: [AuthorDto] }) @IsOptional() @ValidateNested({ each: true }) @Type(() => AuthorDto) editors?: AuthorDto[];
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

  const bookRejection = async (value: unknown) => {
    try {
      await pipe.transform(value, { type: 'body', metatype: BookDto });
    } catch (error) {
      return error instanceof AppException ? { status: error.status, fields: error.errors?.map((e) => e.field) } : error;
    }
    return undefined;
  };

  it('refuses null where @ApiProperty does not say nullable, nested bodies included', async () => {
    expect(await bookRejection({ title: null })).toEqual({ status: 400, fields: ['title'] });
    expect(await bookRejection({ pages: null, published_at: null })).toEqual({ status: 400, fields: ['pages', 'published_at'] });
    expect(await bookRejection({ author: null })).toEqual({ status: 400, fields: ['author'] });
    expect(await bookRejection({ author: { name: null } })).toEqual({ status: 400, fields: ['author.name'] });
    expect(await bookRejection({ editors: [{ name: 'a' }, { name: null }] })).toEqual({ status: 400, fields: ['editors.1.name'] });
  });

  it('takes null where @ApiProperty says nullable, and leaves unknown properties to the whitelist', async () => {
    await expect(pipe.transform({ subtitle: null, author: { nickname: null } }, { type: 'body', metatype: BookDto })).resolves.toMatchObject({
      subtitle: null,
      author: { nickname: null },
    });
    const unknown = await bookRejection({ unknown: null });
    expect(unknown).toEqual({ status: 400, fields: ['unknown'] });
  });

  it('converts nothing implicitly: no numeric strings to numbers, no numbers or booleans to dates', async () => {
    expect(await bookRejection({ pages: '12' })).toEqual({ status: 400, fields: ['pages'] });
    expect(await bookRejection({ title: 12 })).toEqual({ status: 400, fields: ['title'] });
    expect(await bookRejection({ published_at: 1_700_000_000_000 })).toEqual({ status: 400, fields: ['published_at'] });
    expect(await bookRejection({ published_at: true })).toEqual({ status: 400, fields: ['published_at'] });
    expect(await bookRejection({ published_at: 'yesterday' })).toEqual({ status: 400, fields: ['published_at'] });
    const book = (await pipe.transform({ published_at: '2030-01-02T03:04:05Z' }, { type: 'body', metatype: BookDto })) as BookDto;
    expect(book.published_at).toEqual(new Date('2030-01-02T03:04:05Z'));
  });

  it('lets ordinary text through, emoji and paired surrogates included', async () => {
    await expect(pipe.transform({ text: 'héllo 😀 👩‍👩‍👧‍👦' }, { type: 'body', metatype: NoteDto })).resolves.toEqual({ text: 'héllo 😀 👩‍👩‍👧‍👦' });
  });
});
