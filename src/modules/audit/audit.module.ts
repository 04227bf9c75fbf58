import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AuditEntry } from './entities/audit-entry.entity';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** The admin audit log. Other modules write entries through `AuditService.record` in their own transactions. */
@Module({ imports: [MikroOrmModule.forFeature([AuditEntry])], controllers: [AuditController], providers: [AuditService], exports: [AuditService] })
export class AuditModule {}
