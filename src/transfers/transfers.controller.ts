import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { DataPacket, EndOfTransfer, UploadRequest } from '#protocol';
import { UdpContext } from '#udp-transport';
import { remoteOf } from '../udp/remote-endpoint.js';
import { TransfersService, type Reply } from './transfers.service.js';

/** Routes the transfer frames of client type 1 (ops 1-3) to the transfers service. */
@Controller()
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @MessagePattern('upload-request')
  upload(@Payload() request: UploadRequest, @Ctx() context: UdpContext): Reply | Promise<Reply> {
    return this.transfers.handleUploadRequest(request, remoteOf(context));
  }

  @MessagePattern('data')
  data(@Payload() packet: DataPacket, @Ctx() context: UdpContext): Reply | Promise<Reply> {
    return this.transfers.handleDataPacket(packet, remoteOf(context));
  }

  @MessagePattern('end-of-transfer')
  endOfTransfer(@Payload() frame: EndOfTransfer, @Ctx() context: UdpContext): Reply | Promise<Reply> {
    return this.transfers.handleEndOfTransfer(frame, remoteOf(context), context.replyBudget);
  }
}
