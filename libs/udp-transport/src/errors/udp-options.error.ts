/** An option given to `UdpServer` is missing or out of range. */
export class UdpOptionsError extends Error {
  override readonly name = 'UdpOptionsError';

  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`invalid UDP transport option "${option}": ${problem}`);
  }
}
