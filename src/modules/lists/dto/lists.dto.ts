import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Length, Matches } from 'class-validator';
import { MAX_MEMBERS } from '../entities/list.entity';
import type { ListRow } from '../lists.repository';

/** Printable, no control characters, and no white space at either end (so a name cannot look empty). */
// eslint-disable-next-line no-control-regex -- refusing control characters is what it is for
const NAME = /^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$/;

export class ListNameDto {
  @ApiProperty({ minLength: 1, maxLength: 50, description: '1-50 characters, no control characters, no white space at either end' })
  @IsString()
  @Length(1, 50)
  @Matches(NAME, { message: 'name must be printable, without white space at either end' })
  name: string;
}

export class ListUsernamesDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_MEMBERS, description: 'Usernames, any case' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_MEMBERS)
  @IsString({ each: true })
  @Matches(/^[A-Za-z0-9_]{1,50}$/, { each: true, message: 'each username must be 1-50 of [A-Za-z0-9_]' })
  usernames: string[];
}

export class ListResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Members on the list (suspended and blocked ones included: they stay until removed)' }) members_count: number;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class ListPageResponse {
  @ApiProperty({ type: [ListResponse] }) data: ListResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export function toListResponse(row: ListRow): ListResponse {
  return {
    id: row.id,
    name: row.name,
    members_count: row.members_count,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
