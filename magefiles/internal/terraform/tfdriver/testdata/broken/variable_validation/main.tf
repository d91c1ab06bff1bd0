module "logs" {
  source = "./child"

  name = "ecs/app"
}
