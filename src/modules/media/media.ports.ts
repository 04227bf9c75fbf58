import { Injectable } from '@nestjs/common';
import { SqlFragment } from '@/common/database/sql-fragment';

/**
 * Which posts are open to anyone, so that their media may be fetched without a signature: posts answers with its
 * access policy's `openSql` (live, not removed, public, not premium, author active). Aliases: `post` over `posts`,
 * `author` over its author's `users` row.
 */
export interface OpenPosts {
  openSql(at: { post: string; author: string }): SqlFragment;
}

/**
 * Where posts plugs that rule in. Media sits below posts (posts renders media), so it cannot import the policy, and
 * its base module is shared with posts, so no app-root import can bring it either: `PostsModule`, which imports
 * media, binds its policy here when it is built (`OpenPostsBinding`), as outbox subscribers register themselves.
 * A media read asking before that is a wiring bug, and says so.
 */
@Injectable()
export class OpenPostsRule implements OpenPosts {
  private rule?: OpenPosts;

  bind(rule: OpenPosts): void {
    this.rule = rule;
  }

  openSql(at: { post: string; author: string }): SqlFragment {
    if (!this.rule) throw new Error('OpenPostsRule is not bound: PostsModule binds the access policy when it is built');
    return this.rule.openSql(at);
  }
}
