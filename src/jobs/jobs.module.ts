import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobRegistrar } from './job-registrar';

/** The periodic jobs of every module (`@Periodic` methods), on @nestjs/schedule. */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [JobRegistrar],
  exports: [JobRegistrar],
})
export class JobsModule {}
