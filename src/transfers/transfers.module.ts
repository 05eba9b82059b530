import { Module } from '@nestjs/common';
import { Environment } from '../config/index.js';
import { StorageModule } from '../storage/storage.module.js';
import { TransferEvents } from './transfer-events.js';
import { TransferLog } from './transfer-log.js';
import { TRANSFER_LIMITS, transferLimitsFrom } from './transfer-limits.js';
import { TransfersController } from './transfers.controller.js';
import { TransfersService } from './transfers.service.js';

@Module({
  imports: [StorageModule],
  controllers: [TransfersController],
  providers: [
    { provide: TRANSFER_LIMITS, inject: [Environment], useFactory: transferLimitsFrom },
    TransferEvents,
    TransfersService,
    TransferLog,
  ],
  exports: [TransfersService, TransferEvents],
})
export class TransfersModule {}
