import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { IdParam } from '@/common/http/id.param';
import { PageQuery } from '@/common/http/pagination';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { PostPageResponse } from '@/modules/posts/dto/post.dto';
import { UserPageResponse } from '@/modules/social/dto/social.dto';
import { ListNameDto, ListPageResponse, ListResponse, ListUsernamesDto } from './dto/lists.dto';
import { ListTimelineService } from './list-timeline.service';
import { ListsService } from './lists.service';

const PRIVATE = [404, "No such list, or another account's (lists are private)"] as const;

@ApiTags('lists')
@ApiBearerAuth()
@Controller()
export class ListsController {
  constructor(
    private readonly lists: ListsService,
    private readonly listTimeline: ListTimelineService,
  ) {}

  @Post('lists')
  @ApiCreatedResponse({ type: ListResponse })
  @ApiProblems([422, 'Already 50 lists'])
  create(@CurrentUser() owner: AuthUser, @Body() dto: ListNameDto) {
    return this.lists.create(owner, dto.name);
  }

  @Get('lists')
  @ApiOkResponse({ type: ListPageResponse, description: 'The own lists, newest first' })
  page(@CurrentUser() owner: AuthUser, @Query() query: PageQuery) {
    return this.lists.page(owner, query);
  }

  @Get('lists/:id')
  @ApiOkResponse({ type: ListResponse })
  @ApiProblems([...PRIVATE])
  get(@CurrentUser() owner: AuthUser, @Param() { id }: IdParam) {
    return this.lists.get(owner, id);
  }

  @Patch('lists/:id')
  @ApiOkResponse({ type: ListResponse })
  @ApiProblems([...PRIVATE])
  rename(@CurrentUser() owner: AuthUser, @Param() { id }: IdParam, @Body() dto: ListNameDto) {
    return this.lists.rename(owner, id, dto.name);
  }

  @Delete('lists/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The list and its memberships are gone' })
  @ApiProblems([...PRIVATE])
  async remove(@CurrentUser() owner: AuthUser, @Param() { id }: IdParam): Promise<void> {
    await this.lists.remove(owner, id);
  }

  @Get('lists/:id/members')
  @ApiOkResponse({ type: UserPageResponse, description: 'Most recently added first; nobody suspended or across a block' })
  @ApiProblems([...PRIVATE])
  members(@CurrentUser() owner: AuthUser, @Param() { id }: IdParam, @Query() query: PageQuery) {
    return this.lists.members(owner, id, query);
  }

  @Post('lists/:id/members')
  @HttpCode(200)
  @ApiOkResponse({ type: ListResponse, description: 'All or nothing; accounts already on the list stay as they are' })
  @ApiProblems([...PRIVATE], [422, 'An unknown or suspended username, yourself, an account across a block (each named in `errors`), or over 5,000 members: nothing added'])
  addMembers(@CurrentUser() owner: AuthUser, @Param() { id }: IdParam, @Body() dto: ListUsernamesDto) {
    return this.lists.addMembers(owner, id, dto.usernames);
  }

  @Delete('lists/:id/members')
  @ApiOkResponse({ type: ListResponse, description: 'Usernames not on the list are ignored' })
  @ApiProblems([...PRIVATE])
  removeMembers(@CurrentUser() owner: AuthUser, @Param() { id }: IdParam, @Body() dto: ListUsernamesDto) {
    return this.lists.removeMembers(owner, id, dto.usernames);
  }

  @Get('timelines/list/:id')
  @ApiOkResponse({ type: PostPageResponse, description: "Posts and reposts by the list's members that the owner may see, newest first, as the home timeline" })
  @ApiProblems([...PRIVATE])
  timeline(@CurrentUser() owner: AuthUser, @Param() { id }: IdParam, @Query() query: PageQuery) {
    return this.listTimeline.page(owner, id, query);
  }
}
