import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { DataPacket, EndOfTransfer, UploadRequest } from '#protocol';
import { DatagramPattern, UdpContext } from '#udp-transport';
import { remoteOf } from '../udp/remote-endpoint.js';
import { TransfersService, type Reply } from './transfers.service.js';

/** Routes the transfer frames of client type 1 (ops 1-3) to the transfers service, on the datagram hot path. */
@Controller()
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @DatagramPattern('upload-request')
  upload(@Payload() request: UploadRequest, @Ctx() context: UdpContext): Reply | Promise<Reply> {
    return this.transfers.handleUploadRequest(request, remoteOf(context));
  }

  @DatagramPattern('data')
  data(@Payload() packet: DataPacket, @Ctx() context: UdpContext): Reply | Promise<Reply> {
    return this.transfers.handleDataPacket(packet, remoteOf(context));
  }

  @DatagramPattern('end-of-transfer')
  endOfTransfer(@Payload() frame: EndOfTransfer, @Ctx() context: UdpContext): Reply | Promise<Reply> {
    return this.transfers.handleEndOfTransfer(frame, remoteOf(context), context.replyBudget);
  }
}
