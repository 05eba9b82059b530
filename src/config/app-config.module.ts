import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CLOCK, systemClock } from '../common/clock.js';
import { Environment } from './environment.js';

/**
 * Makes the validated `Environment` (and `ConfigService` over the same values) injectable
 * everywhere, with the clock every timer uses.
 */
@Global()
@Module({})
export class AppConfigModule {
  static register(env: Environment): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ ...env })] })],
      providers: [
        { provide: Environment, useValue: env },
        { provide: CLOCK, useValue: systemClock },
      ],
      exports: [ConfigModule, Environment, CLOCK],
    };
  }
}
