import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** A route's `:id` (a post, a media item): any UUID, else `400`. Shared so a route of one feature can name another's ids. */
export class IdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id: string;
}
