import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';

export class GoogleExchangeDto {
  @ApiProperty({ description: 'The one-time code the app received at `redirect_uri?code=` (valid 60 seconds, once)', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  code: string;

  /**
   * Not checked for form here: a verifier that cannot match (too short, too long, outside RFC 7636's alphabet) is a
   * wrong verifier, `401`, and spends the code like any other (issue 23, N14). A `400` would leave the code usable.
   */
  @ApiPropertyOptional({
    description:
      'PKCE (RFC 7636): required when GET /auth/google had a `code_challenge`; its SHA-256, base64url, must equal it. ' +
      'Anything else (also a verifier outside 43-128 of `[A-Za-z0-9._~-]`) is `401` and spends the code',
    maxLength: 1024,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  code_verifier?: string;
}
