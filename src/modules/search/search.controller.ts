import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { SearchPageResponse, SearchQuery, SuggestionsQuery, SuggestionsResponse, TrendingQuery, TrendingResponse } from './dto/search.dto';
import { DiscoveryService } from './discovery.service';
import { SearchService } from './search.service';

@ApiTags('search')
@ApiBearerAuth()
@Controller()
export class SearchController {
  constructor(
    private readonly search: SearchService,
    private readonly discovery: DiscoveryService,
  ) {}

  @Public()
  @Get('search')
  @ApiOkResponse({ type: SearchPageResponse, description: 'Only what the viewer may see; anonymous viewers find public posts only' })
  find(@CurrentUser() viewer: AuthUser | undefined, @Query() query: SearchQuery) {
    return this.search.run(viewer, query);
  }

  @Public()
  @Get('tags/trending')
  @ApiOkResponse({ type: TrendingResponse, description: 'By distinct authors of public posts in the last 24 hours; at most a minute old' })
  trending(@Query() { limit }: TrendingQuery) {
    return this.discovery.trending(limit);
  }

  @Get('users/suggestions')
  @ApiOkResponse({ type: SuggestionsResponse, description: 'Followed by those the viewer follows, then popular accounts' })
  suggestions(@CurrentUser() viewer: AuthUser, @Query() { limit }: SuggestionsQuery) {
    return this.discovery.suggestions(viewer, limit);
  }
}
