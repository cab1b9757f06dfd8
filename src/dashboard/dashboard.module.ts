import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** The live page; it talks to the other modules only through their public HTTP API. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
