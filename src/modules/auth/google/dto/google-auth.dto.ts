import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class GoogleExchangeDto {
  @ApiProperty({ description: 'The one-time code the app received at `redirect_uri?code=` (valid 60 seconds, once)', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  code: string;

  @ApiPropertyOptional({
    description: 'PKCE (RFC 7636): required when GET /auth/google had a `code_challenge`; its SHA-256, base64url, must equal it',
    minLength: 43,
    maxLength: 128,
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._~-]{43,128}$/, { message: 'code_verifier must be 43-128 of [A-Za-z0-9._~-]' })
  code_verifier?: string;
}
