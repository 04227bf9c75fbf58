import { Migration20261125000000_initial } from './Migration20261125000000_initial';
import { Migration20261125150000_uuid_v7_function } from './Migration20261125150000_uuid_v7_function';
import { Migration20261201000000_media_profile_indexes } from './Migration20261201000000_media_profile_indexes';
import { Migration20261203030000_outbox_receipts } from './Migration20261203030000_outbox_receipts';
import { Migration20261203050000_account_lifecycle } from './Migration20261203050000_account_lifecycle';
import { Migration20261203060000_trust_and_safety } from './Migration20261203060000_trust_and_safety';
import { Migration20261203070000_search } from './Migration20261203070000_search';
import { Migration20261204000000_earnings } from './Migration20261204000000_earnings';
import { Migration20261204100000_payout_accounts } from './Migration20261204100000_payout_accounts';
import { Migration20261207190000_checkout_sessions } from './Migration20261207190000_checkout_sessions';
import { Migration20261207191000_premium_search } from './Migration20261207191000_premium_search';
import { Migration20261207200000_billing_profiles } from './Migration20261207200000_billing_profiles';
import { Migration20261208000000_ledger_movements } from './Migration20261208000000_ledger_movements';
import { Migration20261208020000_subscription_payout_destination } from './Migration20261208020000_subscription_payout_destination';
import { Migration20261208070000_messages } from './Migration20261208070000_messages';
import { Migration20261208071000_report_messages } from './Migration20261208071000_report_messages';
import { Migration20261208080000_lists } from './Migration20261208080000_lists';
import { Migration20261208100000_welcome_messages } from './Migration20261208100000_welcome_messages';
import { Migration20261208110000_message_unlocks } from './Migration20261208110000_message_unlocks';
import { Migration20261209000000_tips } from './Migration20261209000000_tips';
import { Migration20261209050000_mass_messages } from './Migration20261209050000_mass_messages';
import { Migration20261209150000_tiers } from './Migration20261209150000_tiers';
import { Migration20261209350000_gifts } from './Migration20261209350000_gifts';


/** Every migration, in order, in MikroORM's `migrationsList` form (bundled, so no folder scanning at run time). */
export const MIGRATIONS = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261125150000_uuid_v7_function', class: Migration20261125150000_uuid_v7_function },
  { name: 'Migration20261201000000_media_profile_indexes', class: Migration20261201000000_media_profile_indexes },
  { name: 'Migration20261203030000_outbox_receipts', class: Migration20261203030000_outbox_receipts },
  { name: 'Migration20261203050000_account_lifecycle', class: Migration20261203050000_account_lifecycle },
  { name: 'Migration20261203060000_trust_and_safety', class: Migration20261203060000_trust_and_safety },
  { name: 'Migration20261203070000_search', class: Migration20261203070000_search },
  { name: 'Migration20261204000000_earnings', class: Migration20261204000000_earnings },
  { name: 'Migration20261204100000_payout_accounts', class: Migration20261204100000_payout_accounts },
  { name: 'Migration20261207190000_checkout_sessions', class: Migration20261207190000_checkout_sessions },
  { name: 'Migration20261207191000_premium_search', class: Migration20261207191000_premium_search },
  { name: 'Migration20261207200000_billing_profiles', class: Migration20261207200000_billing_profiles },
  { name: 'Migration20261208000000_ledger_movements', class: Migration20261208000000_ledger_movements },
  { name: 'Migration20261208020000_subscription_payout_destination', class: Migration20261208020000_subscription_payout_destination },
  { name: 'Migration20261208070000_messages', class: Migration20261208070000_messages },
  { name: 'Migration20261208071000_report_messages', class: Migration20261208071000_report_messages },
  { name: 'Migration20261208080000_lists', class: Migration20261208080000_lists },
  { name: 'Migration20261208100000_welcome_messages', class: Migration20261208100000_welcome_messages },
  { name: 'Migration20261208110000_message_unlocks', class: Migration20261208110000_message_unlocks },
  { name: 'Migration20261209000000_tips', class: Migration20261209000000_tips },
  { name: 'Migration20261209050000_mass_messages', class: Migration20261209050000_mass_messages },
  { name: 'Migration20261209150000_tiers', class: Migration20261209150000_tiers },
  { name: 'Migration20261209350000_gifts', class: Migration20261209350000_gifts },
];
