import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class TokenDto {
  @ApiProperty({ description: 'The token from the mailed link' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ format: 'email', maxLength: 255 })
  @Transform(trimmed)
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;
}

export class ResetPasswordDto extends TokenDto {
  @ApiProperty({ minLength: 10, maxLength: 128, description: 'Shorter than 10 characters: 422' })
  @IsString()
  @MaxLength(128)
  new_password: string;
}

export class ChangeEmailDto {
  @ApiProperty({ format: 'email', maxLength: 255 })
  @Transform(trimmed)
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'new_email must be an email address' })
  new_email: string;

  @ApiProperty({ maxLength: 128 })
  @IsString()
  @MaxLength(128)
  current_password: string;
}

export class DeleteAccountDto {
  @ApiPropertyOptional({ maxLength: 128, description: 'Required for an account with a password' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  current_password?: string;

  @ApiPropertyOptional({ maxLength: 50, description: 'For an account without a password (Google sign-in only): its username' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  confirm_username?: string;
}

/** `POST /me/exports`: an archive of everything is worth a password, as a deletion is (Mastodon asks it too). */
export class RequestExportDto {
  @ApiPropertyOptional({
    maxLength: 128,
    description: 'Required for an account with a password (wrong or missing: 422). An account without one (Google sign-in only) needs a session signed in within the last 10 minutes instead (else 403)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  current_password?: string;
}

export class AcceptedResponse {
  @ApiProperty({ example: 'accepted' }) status: 'accepted';
  @ApiProperty() message: string;
}

export class ExportResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['pending', 'ready', 'failed'] }) status: 'pending' | 'ready' | 'failed';
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiPropertyOptional({ description: 'Signed download link, valid 24 hours (when ready)' }) url?: string;
  @ApiPropertyOptional({ format: 'date-time' }) expires_at?: string;
}
