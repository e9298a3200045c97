import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DevicesModule } from '../devices/devices.module';
import { EmqxController, GoAuthController } from './broker-auth.controller';
import { BrokerAuthService } from './broker-auth.service';

/** Lets an external MQTT 3.1.1 broker (Mosquitto + go-auth, EMQX) use the fleet's registry. */
@Module({
  imports: [AuthModule, DevicesModule],
  controllers: [GoAuthController, EmqxController],
  providers: [BrokerAuthService],
})
export class BrokerAuthModule {}
