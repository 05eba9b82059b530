import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { EndOfTurn, UdpServer } from '#udp-transport';
import { Environment } from '../config/index.js';
import { Spool } from '../spool/spool.js';
import { SPOOL_FOLDER } from '../spool/spool-files.js';
import { StorageModule } from '../storage/storage.module.js';
import { TransferEvents } from './transfer-events.js';
import { TRANSFER_SPOOL } from './transfer-journal.js';
import { TRANSFER_LIMITS, transferLimitsFrom, type TransferLimits } from './transfer-limits.js';
import { TransferLog } from './transfer-log.js';
import { PEER_CREDIT, type PeerCredit } from './transfer-recovery.js';
import { TransfersController } from './transfers.controller.js';
import { TransfersService } from './transfers.service.js';

@Module({
  imports: [StorageModule],
  controllers: [TransfersController],
  providers: [
    { provide: TRANSFER_LIMITS, inject: [Environment], useFactory: transferLimitsFrom },
    {
      provide: TRANSFER_SPOOL,
      inject: [Environment, TRANSFER_LIMITS, EndOfTurn],
      useFactory: (env: Environment, limits: TransferLimits, turn: EndOfTurn) =>
        env.SPOOL_ENABLED
          ? new Spool(join(env.STORAGE_DIR, SPOOL_FOLDER), {
              completedRecordTtlMs: limits.completedRecordTtlMs,
              touch: () => turn.touch(),
            })
          : null,
    },
    {
      provide: PEER_CREDIT,
      inject: [UdpServer],
      useFactory:
        (udp: UdpServer): PeerCredit =>
        (address, bytes) =>
          udp.creditPeer(address, bytes),
    },
    TransferEvents,
    TransfersService,
    TransferLog,
  ],
  exports: [TransfersService, TransferEvents],
})
export class TransfersModule {}
