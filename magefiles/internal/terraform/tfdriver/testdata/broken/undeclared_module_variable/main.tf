module "logs" {
  source = "./child"

  name      = "/ecs/app"
  retention = 7
}
