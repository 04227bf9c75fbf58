import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { POSTS_FOR_SALE } from '@/modules/billing/billing.ports';
import { EntitlementsModule } from '@/modules/entitlements/entitlements.module';
import { PayoutAccountsModule } from '@/modules/payouts/payout-accounts.module';
import { MediaModule } from '@/modules/media/media.module';
import { SocialModule } from '@/modules/social/social.module';
import { UsersModule } from '@/modules/users/users.module';
import { Hashtag } from './entities/hashtag.entity';
import { Like } from './entities/like.entity';
import { PostHashtag } from './entities/post-hashtag.entity';
import { Post } from './entities/post.entity';
import { OpenPostsBinding } from './open-posts.binding';
import { PostAccessPolicy } from './post-access.policy';
import { PostAuthoringService } from './post-authoring.service';
import { PostContentService } from './post-content.service';
import { PostEffectsService } from './post-effects.service';
import { PostInteractionsService } from './post-interactions.service';
import { PostViewsService } from './post-views.service';
import { PostsAccountDataService } from './posts-account-data.service';
import { PostsController } from './posts.controller';
import { PostsService } from './posts.service';
import { PostsForSaleAdapter } from './posts-for-sale.adapter';

/**
 * Posts: reads by id, threads, writing and interactions, and the access policy every read path asks. Exports the
 * policy (`requireVisible` decides a 404 without rendering) and the renderer (PostViewsService) for the features
 * that show posts (timelines, notifications, billing's unlocks).
 */
@Module({
  imports: [MikroOrmModule.forFeature([Post, Like, Hashtag, PostHashtag]), UsersModule, SocialModule, EntitlementsModule, PayoutAccountsModule, MediaModule],
  controllers: [PostsController],
  providers: [
    PostsService,
    PostAuthoringService,
    PostContentService,
    PostEffectsService,
    PostInteractionsService,
    PostViewsService,
    PostAccessPolicy,
    PostsAccountDataService,
    // Media's open-posts rule (media.ports.ts): the policy's openSql, bound when this module is built.
    OpenPostsBinding,
    // Billing's port, bound by the app root (BillingModule.forRoot).
    { provide: POSTS_FOR_SALE, useClass: PostsForSaleAdapter },
  ],
  exports: [PostsService, PostViewsService, PostAccessPolicy, POSTS_FOR_SALE],
})
export class PostsModule {}
