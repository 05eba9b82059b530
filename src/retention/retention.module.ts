import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module.js';
import { RetentionEvents } from './retention-events.js';
import { RetentionLog } from './retention-log.js';
import { StoreInventory } from './store-inventory.js';

/** The store's running totals, its start-up scan and reconciliation, and pruning (retention). */
@Module({
  imports: [StorageModule],
  providers: [RetentionEvents, StoreInventory, RetentionLog],
  exports: [StoreInventory, RetentionEvents],
})
export class RetentionModule {}
