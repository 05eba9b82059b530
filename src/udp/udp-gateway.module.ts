import { Global, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import { CameraOp, ClientType } from '#protocol';
import { EndOfTurn, registerDatagramHandlers, UdpServer } from '#udp-transport';
import { Environment } from '../config/index.js';
import { RECEIVE_BACKLOG, type ReceiveBacklog } from './receive-backlog.js';
import { cameraDatagramDecoder } from './camera-datagram-decoder.js';
import { DatagramCounts } from './datagram-counts.js';

/** Bigger than the default so a burst of 255 packets from each of many devices is not dropped by the kernel. */
const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;

/** Names of the server → device frames, for the count of datagrams sent by kind. */
const REPLY_KINDS: Record<number, string> = {
  [CameraOp.UploadRequest]: 'upload-reply',
  [CameraOp.DataPacket]: 'data-reply',
  [CameraOp.EndOfTransfer]: 'missing-report',
  [CameraOp.AnalysisResult]: 'analysis-result',
};

/** The kind of a datagram the gateway sends. */
export function replyKindOf(datagram: Uint8Array): string {
  if (datagram[0] === ClientType.Special) return 'ping-reply';
  return REPLY_KINDS[datagram[2] ?? -1] ?? 'other';
}

/** Serves the `@DatagramPattern` controller methods directly, before the transport starts listening. */
@Injectable()
class DatagramHandlers implements OnApplicationBootstrap {
  constructor(
    private readonly udp: UdpServer,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onApplicationBootstrap(): void {
    registerDatagramHandlers(this.udp, this.discovery, this.scanner);
  }
}

/**
 * The UDP transport as a provider: `main` connects it as the microservice strategy, and services
 * that push frames to devices (analysis results) inject it to send.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    DatagramHandlers,
    DatagramCounts,
    // One end of turn for the transport and the spool: the turn's records are written before its replies leave.
    { provide: EndOfTurn, useFactory: () => new EndOfTurn() },
    {
      provide: RECEIVE_BACKLOG,
      inject: [UdpServer],
      useFactory:
        (udp: UdpServer): ReceiveBacklog =>
        () =>
          udp.receiveQueueBytes(),
    },
    {
      provide: UdpServer,
      inject: [Environment, DatagramCounts, EndOfTurn],
      useFactory: (env: Environment, received: DatagramCounts, turn: EndOfTurn) =>
        new UdpServer({
          host: env.UDP_HOST,
          port: env.UDP_PORT,
          bindEachAddress: env.UDP_BIND_EACH_ADDRESS,
          decoder: cameraDatagramDecoder(received),
          receiveBufferSize: RECEIVE_BUFFER_BYTES,
          endOfTurn: turn,
          sentKind: replyKindOf,
        }),
    },
  ],
  exports: [UdpServer, DatagramCounts, RECEIVE_BACKLOG, EndOfTurn],
})
export class UdpGatewayModule {}
