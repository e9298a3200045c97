import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { DeviceNoticeStore } from './device-notice.store';
import { DeviceNoticeView, ListNoticesQuery } from './notices.dto';

@ApiTags('health')
@ApiBearerAuth()
@Controller('api/v1/notices')
export class NoticesController {
  constructor(private readonly notices: DeviceNoticeStore) {}

  /**
   * Replenishment notices (a dispenser's stock empty): logistics, not repair tickets. Newest
   * first.
   */
  @Get()
  @Roles('viewer')
  @ApiOkResponse({ type: [DeviceNoticeView] })
  list(@Query() query: ListNoticesQuery): Promise<DeviceNoticeView[]> {
    return this.notices.list({
      siteId: query.siteId,
      deviceId: query.deviceId,
      open: query.open === undefined ? undefined : query.open === 'true',
      limit: query.limit ?? 100,
    });
  }
}
