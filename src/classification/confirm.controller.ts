import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { CameraOp, ClientType, type Confirmation } from '#protocol';
import { DatagramPattern, UdpContext } from '#udp-transport';
import { remoteOf } from '../udp/remote-endpoint.js';
import { ResultPusher } from './result-pusher.js';

/** Op 0 `[1, id, 0, 4]`: the device got its analysis result. Nothing is sent back. */
@Controller()
export class ConfirmController {
  constructor(private readonly results: ResultPusher) {}

  @DatagramPattern('confirm')
  confirm(@Payload() confirmation: Confirmation, @Ctx() context: UdpContext): undefined {
    if (confirmation.confirmedOp === CameraOp.AnalysisResult || confirmation.confirmedOp === undefined) {
      this.results.confirm(ClientType.CableCamera, confirmation.deviceId, remoteOf(context));
    }
    return undefined;
  }
}
