import { ArrayMaxSize, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { mergeValidation, validationSchemas } from './validation-schema';

class Sample {
  @IsString()
  @IsNotEmpty()
  @MaxLength(20)
  name: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsUUID('all', { each: true })
  @ArrayMaxSize(5)
  ids: string[];

  @Length(4, 8)
  @Matches(/^[a-z]+$/)
  code: string;

  @Matches(/^[a-z]+$/i)
  caseless: string;

  @IsIn(['a', 'b'])
  kind: string;
}

describe('validationSchemas', () => {
  const schemas = validationSchemas(Sample);

  it('states what each validator enforces', () => {
    expect(schemas.get('name')).toEqual({ type: 'string', minLength: 1, maxLength: 20 });
    expect(schemas.get('limit')).toEqual({ type: 'integer', minimum: 1, maximum: 100 });
    expect(schemas.get('ids')).toEqual({ type: 'array', maxItems: 5, items: { type: 'string', format: 'uuid' } });
    expect(schemas.get('code')).toEqual({ minLength: 4, maxLength: 8, pattern: '^[a-z]+$' });
    expect(schemas.get('kind')).toEqual({ enum: ['a', 'b'] });
  });

  it('leaves out a pattern whose flags a JSON Schema pattern cannot carry', () => {
    expect(schemas.get('caseless')).toBeUndefined();
  });
});

describe('mergeValidation', () => {
  it('adds missing keywords, narrows number to integer and object to the enforced type, keeps what is stated', () => {
    const limit: SchemaObject = { type: 'number', maximum: 50 };
    mergeValidation(limit, { type: 'integer', minimum: 1, maximum: 100 });
    expect(limit).toEqual({ type: 'integer', minimum: 1, maximum: 50 });
    const bio: SchemaObject = { type: 'object', nullable: true };
    mergeValidation(bio, { type: 'string', maxLength: 500 });
    expect(bio).toEqual({ type: 'string', nullable: true, maxLength: 500 });
  });
});
