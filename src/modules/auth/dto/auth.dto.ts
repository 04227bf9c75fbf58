import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength, MinLength } from 'class-validator';
import { OwnUserResponse } from '@/modules/users/dto/user.response';

export const USERNAME_PATTERN = /^[A-Za-z0-9_]{3,30}$/;

export class RegisterDto {
  @ApiProperty({ minLength: 3, maxLength: 30, pattern: '^[A-Za-z0-9_]+$', description: 'Unique case-insensitively' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-30 letters, digits or underscores' })
  username: string;

  @ApiProperty({ format: 'email', maxLength: 255 })
  // Emails are compared trimmed and lower-cased: " Alice@x.com " is the taken "alice@x.com" (409), not a malformed one.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;

  @ApiProperty({ minLength: 10, maxLength: 128 })
  @IsString()
  @Length(10, 128, { message: 'password must be 10 to 128 characters' })
  password: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  display_name?: string;

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  referral_code?: string;
}

export class LoginDto {
  @ApiProperty({ description: 'Username or email', minLength: 1, maxLength: 255 })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  login: string;

  @ApiProperty({ maxLength: 128 })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password: string;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @MaxLength(200)
  refresh_token: string;
}

export class LogoutDto {
  @ApiPropertyOptional({ description: 'Revokes this session too (it must be yours)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  refresh_token?: string;
}

export class ChangePasswordDto {
  @ApiProperty({ maxLength: 128 })
  @IsString()
  @MaxLength(128)
  current_password: string;

  @ApiProperty({ minLength: 10, maxLength: 128 })
  @IsString()
  @Length(10, 128, { message: 'new_password must be 10 to 128 characters' })
  new_password: string;
}

export class TokenPairResponse {
  @ApiProperty() access_token: string;
  @ApiProperty({ description: '`<session id>.<secret>`; rotate it with POST /auth/refresh' }) refresh_token: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type: 'Bearer';
  @ApiProperty({ description: 'Access token lifetime in seconds' }) expires_in: number;
}

export class AuthResponse extends TokenPairResponse {
  @ApiProperty({ type: OwnUserResponse }) user: OwnUserResponse;
}

export class SessionResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_used_at: string | null;
  @ApiProperty({ nullable: true, type: String }) user_agent: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty() current: boolean;
}

export class SessionListResponse {
  @ApiProperty({ type: [SessionResponse] }) data: SessionResponse[];
}
