import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { PageQuery } from '@/common/http/pagination';
import { PostPageResponse } from '@/modules/posts/dto/post.dto';
import { UsernameParam } from '@/modules/users/dto/username.param';
import { FeedsService } from './feeds.service';

class TagParam {
  @ApiProperty({ description: 'Without the #; any case' })
  @IsString()
  @Matches(/^#?[\p{L}\p{N}_]{1,100}$/u, { message: 'tag must be letters, digits or underscores' })
  tag: string;
}

@ApiTags('timelines')
@ApiBearerAuth()
@Controller()
export class TimelinesController {
  constructor(private readonly timelines: FeedsService) {}

  @Get('timelines/home')
  @ApiOkResponse({ type: PostPageResponse, description: 'The viewer and everyone they follow, reposts included, newest first' })
  home(@CurrentUser() viewer: AuthUser, @Query() query: PageQuery) {
    return this.timelines.home(viewer, query);
  }

  @Public()
  @Get('timelines/public')
  @ApiOkResponse({ type: PostPageResponse, description: 'Public original posts, newest first' })
  public(@CurrentUser() viewer: AuthUser | undefined, @Query() query: PageQuery) {
    return this.timelines.public(viewer, query);
  }

  @Public()
  @Get('tags/:tag/posts')
  @ApiOkResponse({ type: PostPageResponse })
  tag(@CurrentUser() viewer: AuthUser | undefined, @Param() { tag }: TagParam, @Query() query: PageQuery) {
    return this.timelines.tag(viewer, tag, query);
  }

  @Public()
  @Get('users/:username/posts')
  @ApiOkResponse({ type: PostPageResponse })
  author(@CurrentUser() viewer: AuthUser | undefined, @Param() { username }: UsernameParam, @Query() query: PageQuery) {
    return this.timelines.author(viewer, username, query);
  }
}
