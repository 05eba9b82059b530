import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { encodeServerFrame, PingFlags, pingReply, type PingRequest } from '#protocol';
import { DatagramPattern } from '#udp-transport';
import { ClassificationService } from '../classification/classification.service.js';
import { TransfersService } from '../transfers/transfers.service.js';

/** Client type 0, op 0: lets operators, load balancers and devices check the UDP side is alive. */
@Controller()
export class PingController {
  constructor(
    private readonly transfers: TransfersService,
    private readonly classification: ClassificationService,
  ) {}

  @DatagramPattern('ping')
  ping(@Payload() request: PingRequest): Buffer {
    const flags =
      (this.transfers.acceptingUploads ? PingFlags.AcceptingUploads : 0) |
      (this.classification.model ? PingFlags.AnalysisAvailable : 0);
    return encodeServerFrame(pingReply(request, flags));
  }
}
