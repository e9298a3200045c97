import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { DeviceNoticeStore } from './device-notice.store';
import { decodeNoticeCursor } from './notice-query.rules';
import { DeviceNoticePageView, ListNoticesQuery } from './notices.dto';

@ApiTags('health')
@ApiBearerAuth()
@Controller('api/v1/notices')
export class NoticesController {
  constructor(private readonly notices: DeviceNoticeStore) {}

  /**
   * Replenishment notices (a dispenser's stock empty): logistics, not repair tickets. Newest
   * first, a page at a time: `nextCursor` as `cursor` gives the next page.
   */
  @Get()
  @Roles('viewer')
  @ApiOkResponse({ type: DeviceNoticePageView })
  list(@Query() query: ListNoticesQuery): Promise<DeviceNoticePageView> {
    return this.notices.list({
      siteId: query.siteId,
      deviceId: query.deviceId,
      open: query.open === undefined ? undefined : query.open === 'true',
      after: query.cursor === undefined ? undefined : decodeNoticeCursor(query.cursor),
      limit: query.limit ?? 100,
    });
  }
}
