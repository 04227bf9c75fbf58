import { Injectable } from '@nestjs/common';
import { OpenPostsRule } from '@/modules/media/media.ports';
import { PostAccessPolicy } from './post-access.policy';

/** Hands media the access policy's `openSql` (media's `OpenPostsRule`): which posts' files are served unsigned. */
@Injectable()
export class OpenPostsBinding {
  constructor(rule: OpenPostsRule, policy: PostAccessPolicy) {
    rule.bind(policy);
  }
}
