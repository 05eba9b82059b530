import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ReplyStatus } from '#protocol';
import { isLoggableCount, Tally } from '#udp-transport';
import type { Transfer } from './transfer.js';
import { TransferEvents } from './transfer-events.js';

function describe(transfer: Transfer) {
  return {
    deviceId: transfer.deviceId,
    address: transfer.remote.address,
    port: transfer.remote.port,
    packets: transfer.parameters.packetCount,
    received: transfer.receivedPackets,
    flowMode: transfer.flowMode,
  };
}

/**
 * One log line per transfer outcome (stored, given up, aborted, failed) and per refusal, never
 * one per packet. Refusals and aborts are logged at their 1st, 2nd, 4th, 8th… occurrence per
 * reason, so a flood of bad or alternating requests cannot flood the logs (metrics count each).
 */
@Injectable()
export class TransferLog implements OnModuleInit {
  private readonly logger = new Logger('Transfers');
  private readonly refusals = new Tally<string>();
  private readonly aborts = new Tally<string>();

  constructor(private readonly events: TransferEvents) {}

  onModuleInit(): void {
    this.events.on('completed', (transfer, stored, writeSeconds) =>
      this.logger.log({
        msg: 'image stored',
        imageId: stored.imageId,
        ...describe(transfer),
        size: stored.record.size,
        duplicates: transfer.counters.duplicates,
        transferMs: stored.record.timings.transferMs,
        writeMs: Math.round(writeSeconds * 1000),
      }),
    );
    this.events.on('refused', (status, address) => {
      const reason = ReplyStatus[status] ?? String(status);
      const count = this.refusals.increment(reason);
      if (isLoggableCount(count))
        this.logger.log({ msg: 'upload refused', reason, address, timesSoFar: count });
    });
    this.events.on('expired', (transfer, firmwareExactMultiple) => {
      if (firmwareExactMultiple) {
        this.logger.warn({
          msg: 'transfer expired: firmware exact-multiple bug (image size a multiple of P-8, last packet never sent)',
          ...describe(transfer),
        });
      } else {
        this.logger.log({
          msg: 'transfer given up (dormant too long, or its memory was needed)',
          state: transfer.state,
          ...describe(transfer),
        });
      }
    });
    this.events.on('aborted', (transfer, reason) => {
      if (reason === 'firmware-exact-multiple') {
        this.logger.warn({
          msg: 'transfer dropped: firmware exact-multiple bug (image size a multiple of P-8, last packet never sent)',
          ...describe(transfer),
        });
        return;
      }
      const count = this.aborts.increment(reason);
      if (reason === 'no-memory') {
        if (isLoggableCount(count))
          this.logger.warn({
            msg: 'transfer not resumed from the spool: MAX_REASSEMBLY_BYTES cannot hold it (a stop-and-wait camera is stranded until power-cycled)',
            timesSoFar: count,
            ...describe(transfer),
          });
        return;
      }
      if (isLoggableCount(count))
        this.logger.log({ msg: 'transfer aborted', reason, timesSoFar: count, ...describe(transfer) });
    });
    this.events.on('dormant', (transfer) =>
      this.logger.debug({ msg: 'transfer dormant until its device is back', ...describe(transfer) }),
    );
    this.events.on('checksumMismatch', (transfer) =>
      this.logger.warn({
        msg: 'image does not match the checksum its device sent: discarded',
        ...describe(transfer),
      }),
    );
    this.events.on('stranded', (deviceId, address, port, reason) =>
      this.logger.warn({
        msg:
          reason === 'lost-packets'
            ? 'device stranded: it was told packets were received that the gateway does not have; power-cycle it'
            : 'device stranded: it sends packets of a transfer the gateway has no record of; power-cycle it',
        deviceId,
        address,
        port,
      }),
    );
    this.events.on('restored', (transfer) =>
      this.logger.log({ msg: 'transfer resumed from the spool', ...describe(transfer) }),
    );
    this.events.on('quarantined', (file, reason) =>
      this.logger.warn({ msg: 'unreadable spool file put in quarantine', file, reason }),
    );
    this.events.on('spoolUnwritable', (error) =>
      this.logger.error({ msg: 'the spool could not be written at start-up', error: error.message }),
    );
    this.events.on('storageFailed', (transfer, error) =>
      this.logger.error({ msg: 'image could not be stored', error: error.message, ...describe(transfer) }),
    );
  }
}
