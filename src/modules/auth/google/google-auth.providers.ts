import { Provider } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { GoogleAccountsService } from './google-accounts.service';
import { GoogleAuthService } from './google-auth.service';
import { GoogleStateStore } from './google-state.store';
import { GoogleStrategy, isGoogleConfigured } from './google.strategy';

/**
 * Google sign-in's providers, registered in `AuthModule`. The strategy is registered with passport only when Google
 * is configured; otherwise the routes answer 503.
 */
export const GOOGLE_AUTH_PROVIDERS: Provider[] = [
  GoogleStateStore,
  GoogleAccountsService,
  GoogleAuthService,
  {
    provide: GoogleStrategy,
    inject: [AppConfig, GoogleStateStore],
    useFactory: (config: AppConfig, store: GoogleStateStore) => (isGoogleConfigured(config) ? new GoogleStrategy(config, store) : null),
  },
];
