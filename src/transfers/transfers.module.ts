import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { SPOOL_FOLDER, TRANSFER_SPOOL } from '../spool/spool-header.js';
import { TransferSpool } from '../spool/transfer-spool.js';
import { Environment } from '../config/index.js';
import { StorageModule } from '../storage/storage.module.js';
import { TransferEvents } from './transfer-events.js';
import { TransferLog } from './transfer-log.js';
import { TRANSFER_LIMITS, transferLimitsFrom, type TransferLimits } from './transfer-limits.js';
import { TransfersController } from './transfers.controller.js';
import { TransfersService } from './transfers.service.js';

@Module({
  imports: [StorageModule],
  controllers: [TransfersController],
  providers: [
    { provide: TRANSFER_LIMITS, inject: [Environment], useFactory: transferLimitsFrom },
    {
      provide: TRANSFER_SPOOL,
      inject: [Environment, TRANSFER_LIMITS],
      useFactory: (env: Environment, limits: TransferLimits) =>
        env.SPOOL_ENABLED ? new TransferSpool(join(env.STORAGE_DIR, SPOOL_FOLDER), limits) : null,
    },
    TransferEvents,
    TransfersService,
    TransferLog,
  ],
  exports: [TransfersService, TransferEvents],
})
export class TransfersModule {}
