import { Body, Controller, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Caller, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  AdjustStockDto,
  MoveQueryDto,
  ReceiveStockDto,
  ReorderDto,
  TransferDto,
} from './parts.dto';
import { StockLineView, StockMoveView, TransferView, stockMoveView } from './parts.views';
import { StockService } from './stock.service';

/** Stock in and out: reads for everyone, changes by the parts administrator (admin). */
@ApiTags('stock')
@ApiBearerAuth()
@Controller('api/v1')
@Roles('viewer')
export class StockController {
  constructor(private readonly stock: StockService) {}

  @Get('stores/:id/stock')
  stockOf(@Param('id') storeId: string): Promise<StockLineView[]> {
    return this.stock.stockOf(storeId);
  }

  @Post('stores/:id/stock/:partNumber/receive')
  @Roles('admin')
  receive(
    @Param('id') storeId: string,
    @Param('partNumber') partNumber: string,
    @Body() body: ReceiveStockDto,
    @Caller() caller: Principal,
  ): Promise<StockLineView> {
    return this.stock.receive(storeId, partNumber, body.qty, body.note, caller.actor);
  }

  @Post('stores/:id/stock/:partNumber/adjust')
  @Roles('admin')
  adjust(
    @Param('id') storeId: string,
    @Param('partNumber') partNumber: string,
    @Body() body: AdjustStockDto,
    @Caller() caller: Principal,
  ): Promise<StockLineView> {
    return this.stock.adjust(storeId, partNumber, body.delta, body.note, caller.actor);
  }

  @Put('stores/:id/stock/:partNumber/reorder')
  @Roles('admin')
  reorder(
    @Param('id') storeId: string,
    @Param('partNumber') partNumber: string,
    @Body() body: ReorderDto,
  ): Promise<StockLineView> {
    return this.stock.setReorder(storeId, partNumber, body.reorderPoint, body.reorderQty);
  }

  @Post('stock/transfers')
  @Roles('admin')
  transfer(@Body() body: TransferDto, @Caller() caller: Principal): Promise<TransferView> {
    return this.stock.transfer(
      body.partNumber,
      body.fromStoreId,
      body.toStoreId,
      body.qty,
      body.note,
      caller.actor,
    );
  }

  @Get('stock-moves')
  async moves(@Query() query: MoveQueryDto): Promise<StockMoveView[]> {
    const moves = await this.stock.moves({
      partNumber: query.part,
      storeId: query.store,
      limit: query.limit ?? 100,
    });
    return moves.map(stockMoveView);
  }
}
