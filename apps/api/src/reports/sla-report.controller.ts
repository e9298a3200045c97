import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { SlaReportQuery, SlaReportView } from './sla-report.dto';
import { SlaReportService } from './sla-report.service';

@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/v1/reports')
export class SlaReportController {
  constructor(private readonly reports: SlaReportService) {}

  /** Compliance per milestone and severity, MTTA, MTTR, remote-resolution rate per month. */
  @Get('sla')
  @Roles('viewer')
  sla(@Query() query: SlaReportQuery): Promise<SlaReportView> {
    return this.reports.report(query);
  }
}
