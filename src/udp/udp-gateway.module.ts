import { Global, Module } from '@nestjs/common';
import { UdpServer } from '#udp-transport';
import { Environment } from '../config/index.js';
import { RECEIVE_BACKLOG, type ReceiveBacklog } from '../transfers/flow-probe.js';
import { cameraDatagramDecoder } from './camera-datagram-decoder.js';
import { DatagramCounts } from './datagram-counts.js';

/** Bigger than the default so a burst of 255 packets from each of many devices is not dropped by the kernel. */
const RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * The UDP transport as a provider: `main` connects it as the microservice strategy, and services
 * that push frames to devices (analysis results) inject it to send.
 */
@Global()
@Module({
  providers: [
    DatagramCounts,
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
      inject: [Environment, DatagramCounts],
      useFactory: (env: Environment, received: DatagramCounts) =>
        new UdpServer({
          host: env.UDP_HOST,
          port: env.UDP_PORT,
          bindEachAddress: env.UDP_BIND_EACH_ADDRESS,
          decoder: cameraDatagramDecoder(received),
          receiveBufferSize: RECEIVE_BUFFER_BYTES,
        }),
    },
  ],
  exports: [UdpServer, DatagramCounts, RECEIVE_BACKLOG],
})
export class UdpGatewayModule {}
